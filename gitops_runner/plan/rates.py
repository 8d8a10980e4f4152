"""RunPod's published storage rates, in one place, with their source (CONTRACT §11).

USD per GB per month. GPU prices come from the v2 catalog (plan/cost.py); storage has no
catalog endpoint, so the published rates live here.

Sources (they agree with RUNPOD.md §6.3 and §8b, taken from runpod/docs pods/pricing.mdx):
- https://docs.runpod.io/pods/storage/types — "Container disk $0.10/GB/month; Volume disk
  $0.10/GB/month (running), $0.20/GB/month (stopped); Network volume $0.07/GB/month".
  Container disk is billed only while the pod runs (it is wiped on stop).
- https://docs.runpod.io/get-started/billing-information — "Running Pods are charged $0.10
  per GB per month for all storage, while stopped Pods are charged $0.20 per GB per month
  for volume storage"; network volumes "below 1TB $0.07 per GB per month. Above 1TB, the
  rate drops to $0.05 per GB per month".
"""

from __future__ import annotations

CONTAINER_DISK_RUNNING = 0.10
VOLUME_RUNNING = 0.10
VOLUME_STOPPED = 0.20
NETWORK_VOLUME = 0.07  # up to 1 TB
SOURCE = "https://docs.runpod.io/pods/storage/types"

HOURS_PER_MONTH = 30 * 24  # the projection is over 30 days (CONTRACT §4)
