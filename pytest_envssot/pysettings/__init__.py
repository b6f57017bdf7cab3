"""What pydantic-settings does with a class: inheritance, env names, annotations, strategies,
value domains and import mode (a child process)."""
