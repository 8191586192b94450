"""Reading imports: what a source imports, where, and under which guards."""
