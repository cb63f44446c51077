"""Runs PyTorch's BatchNorm1d in train mode over the batches given on stdin (JSON:
{"N", "D", "momentum", "eps", "batches": [[N*D values], ...]}, float64) and prints
its running statistics and train-mode outputs as JSON. Used by
test/bn-conventions.test.ts only when python3 can import torch."""
import json
import sys

import torch

spec = json.load(sys.stdin)
N, D = spec["N"], spec["D"]
bn = torch.nn.BatchNorm1d(D, eps=spec["eps"], momentum=spec["momentum"]).double()
bn.train()
outs = []
with torch.no_grad():
    for batch in spec["batches"]:
        x = torch.tensor(batch, dtype=torch.float64).reshape(N, D)
        outs.append(bn(x).reshape(-1).tolist())
json.dump({"runningMean": bn.running_mean.tolist(), "runningVar": bn.running_var.tolist(), "outs": outs}, sys.stdout)
