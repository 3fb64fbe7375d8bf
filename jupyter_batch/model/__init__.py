"""Pure data: workflows, resources, records and states. No I/O."""
