"""The Hewer worker SDK: define tasks and workflows, and run them in workers."""
