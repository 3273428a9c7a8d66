"""Fleet support: the per-node verdict handed to the engines clusters already run.

* `node` turns one check run into a `NodeRun` (verdict, reason, timings) and the node
  document (`check --json` plus node name, timestamp, hypervisor).
* `reasons` is the fixed vocabulary of `runtime.kata.reason` label values.
* `outputs` writes the NFD feature file, the Prometheus textfile and the JSON document.
* `periodic` is `check --every`: the loop, its state file and its signals.
* `report` merges many node documents (`fleet report`); `manifest` builds the
  Kubernetes objects (`fleet manifest`).

No click here: the commands parse options and hand values in.
"""
