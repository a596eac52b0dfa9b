"""Arabic conflict events: annotations -> joint entity/status/relation model -> event records."""

import os

# Set before torch is imported: with the default (active) OpenMP wait policy,
# training slowed down 2.5-4x whenever another process shared this 2-core CPU
# (shared/notes/cpu-performance.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
