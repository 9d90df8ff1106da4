"""The lever table: each lever on alone and off alone, on common seeds, with a stopping rule."""
