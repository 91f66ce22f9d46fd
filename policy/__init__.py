"""Credit policy as governed data: what-if simulation on recorded decisions."""
