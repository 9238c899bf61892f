"""Forum briefings: Norwegian reports with charts, drawn only from the warehouse's trend tables."""
