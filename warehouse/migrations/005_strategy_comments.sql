-- Comments on the analyst-facing views of migration 003 (strategy documents), for the data dictionary.
-- Taken from 003's own notes and pipelines/strategy.py; a view redefined later must be commented again.

-- priorities ------------------------------------------------------------------------------------------------------
COMMENT ON VIEW priorities IS 'Every priority statement in the strategy documents with the competence it names, and its citation: document, page, heading path and sentence.';
COMMENT ON COLUMN priorities.doc_id IS 'Document id (from the strategy registry).';
COMMENT ON COLUMN priorities.document IS 'Document title as registered.';
COMMENT ON COLUMN priorities.issuer IS 'Who issued the document (ministry, county council …).';
COMMENT ON COLUMN priorities.level IS 'national, county or municipal.';
COMMENT ON COLUMN priorities.region IS 'The region the document was registered for (NULL for national documents).';
COMMENT ON COLUMN priorities.year IS 'Year of the document.';
COMMENT ON COLUMN priorities.valid_from IS 'First year the document applies to.';
COMMENT ON COLUMN priorities.valid_to IS 'Last year the document applies to (NULL: still in force).';
COMMENT ON COLUMN priorities.page IS 'PDF page of the sentence (NULL for HTML documents).';
COMMENT ON COLUMN priorities.section_path IS 'Headings above the sentence, outermost first.';
COMMENT ON COLUMN priorities.section IS 'The heading path as one text, joined with ›.';
COMMENT ON COLUMN priorities.sentence_no IS 'Number of the sentence in the document.';
COMMENT ON COLUMN priorities.sentence IS 'The sentence, for citing.';
COMMENT ON COLUMN priorities.sentence_kind IS 'text (running text) or item (list item).';
COMMENT ON COLUMN priorities.priority_kind IS 'What the sentence says of the competence: priority, shortage, need, demand or action.';
COMMENT ON COLUMN priorities.priority_cue IS 'The wording that made the sentence a priority statement (e.g. "stort behov for").';
COMMENT ON COLUMN priorities.sentence_weight IS 'How strongly the sentence states the priority: the cue''s weight × 1.25 if intensified × 1.25 under a priorities heading.';
COMMENT ON COLUMN priorities.mention IS 'The competence as written in the sentence.';
COMMENT ON COLUMN priorities.start IS 'Start offset of the mention in the sentence.';
COMMENT ON COLUMN priorities."end" IS 'End offset of the mention in the sentence (exclusive).';
COMMENT ON COLUMN priorities.concept_id IS 'The linked concept (join to concepts).';
COMMENT ON COLUMN priorities.concept_label IS 'Norwegian label of the concept.';
COMMENT ON COLUMN priorities.skill_group IS 'The concept''s group.';
COMMENT ON COLUMN priorities.score IS 'Confidence of the mention''s link to the concept, 0–1.';
COMMENT ON COLUMN priorities.weight IS 'sentence_weight × score: what the mention adds to the concept''s priority weight.';

-- priority_weights ------------------------------------------------------------------------------------------------
COMMENT ON VIEW priority_weights IS 'Priority weight per document and concept: how strongly and how often a document prioritises a competence.';
COMMENT ON COLUMN priority_weights.doc_id IS 'Document id.';
COMMENT ON COLUMN priority_weights.document IS 'Document title as registered.';
COMMENT ON COLUMN priority_weights.issuer IS 'Who issued the document.';
COMMENT ON COLUMN priority_weights.level IS 'national, county or municipal.';
COMMENT ON COLUMN priority_weights.region IS 'The region the document was registered for (NULL for national documents).';
COMMENT ON COLUMN priority_weights.valid_from IS 'First year the document applies to.';
COMMENT ON COLUMN priority_weights.valid_to IS 'Last year the document applies to (NULL: still in force).';
COMMENT ON COLUMN priority_weights.concept_id IS 'The prioritised concept (join to concepts).';
COMMENT ON COLUMN priority_weights.concept_label IS 'Norwegian label of the concept.';
COMMENT ON COLUMN priority_weights.skill_group IS 'The concept''s group.';
COMMENT ON COLUMN priority_weights.priority_weight IS 'Sum of the weights of the document''s priority mentions of the concept.';
COMMENT ON COLUMN priority_weights.statements IS 'Distinct priority sentences that name the concept.';
COMMENT ON COLUMN priority_weights.cited_at IS 'Where: pages (s. N) or section headings of those sentences.';

-- policy_vs_demand ------------------------------------------------------------------------------------------------
COMMENT ON VIEW policy_vs_demand IS 'Strategy priorities against demand in job ads, per region (nation, county; 2024 borders), year and concept or skill group; thresholds in policy_thresholds. Rows with neither priority nor demand are left out.';
COMMENT ON COLUMN policy_vs_demand.level IS 'concept (one concept) or skill_group (all concepts of a group).';
COMMENT ON COLUMN policy_vs_demand.key IS 'The concept id or the skill group name.';
COMMENT ON COLUMN policy_vs_demand.label IS 'Norwegian label of the concept, or the skill group name.';
COMMENT ON COLUMN policy_vs_demand.skill_group IS 'The skill group (of the concept, or the group itself).';
COMMENT ON COLUMN policy_vs_demand.region_level IS 'national or county (2024 borders).';
COMMENT ON COLUMN policy_vs_demand.region_code IS 'NO, or the 2024 county number.';
COMMENT ON COLUMN policy_vs_demand.region_name IS 'Hele landet, or the 2024 county name.';
COMMENT ON COLUMN policy_vs_demand.year IS 'ISO year of the ads'' weeks; documents apply when valid_from ≤ year ≤ valid_to.';
COMMENT ON COLUMN policy_vs_demand.priority_weight IS 'Sum of priority weights over the documents that apply to the region and year (national documents apply everywhere).';
COMMENT ON COLUMN policy_vs_demand.priority_share IS 'priority_weight as a share of all priority weight in the region, year and level.';
COMMENT ON COLUMN policy_vs_demand.priority_mentions IS 'Number of priority mentions behind priority_weight.';
COMMENT ON COLUMN policy_vs_demand.documents IS 'The doc_ids of the documents behind priority_weight.';
COMMENT ON COLUMN policy_vs_demand.ads_with IS 'Distinct original ads in the region and year that name the concept (or a concept of the group).';
COMMENT ON COLUMN policy_vs_demand.ads IS 'All distinct original ads in the region and year.';
COMMENT ON COLUMN policy_vs_demand.demand_share IS 'ads_with / ads.';
COMMENT ON COLUMN policy_vs_demand.status IS 'aligned (priority and demand), priority_little_demand, or demand_not_in_strategy.';
