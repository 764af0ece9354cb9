"""Shared pytest set-up: one torch thread (2-core CI machines), float64 reference helpers."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch

torch.set_num_threads(1)
