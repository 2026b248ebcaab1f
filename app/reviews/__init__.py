"""Expert review (专家评审): panels, assignment, scoring, aggregation and ranking."""
