"""Small client helpers a lesson needs around the calls it teaches: reading a stream back, and
the set-up chores (create, recreate, delete a stream, bucket or delivery stream)."""
