"""First-aid knowledge: topic data files, their schema, the loader and the matcher."""
