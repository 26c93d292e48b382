"""Work: the records the service processes (jobs, batches and their items) and their lifecycle.
`status` names every status and its open and final sets; `lifecycle` ends every record."""
