"""A small project whose environment lacks what it imports: envsense's demo."""
