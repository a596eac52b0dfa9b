"""Arabic conflict events: annotations -> joint entity/status/relation model -> event records."""
