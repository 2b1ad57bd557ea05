import time
from tests.support.rabbit_nodes import RabbitCluster
t=time.monotonic()
with RabbitCluster.started(size=3) as c:
    print("up", time.monotonic()-t, c.urls)
    print(c.nodes[0].ctl("cluster_status")[:1500])
print("down", time.monotonic()-t)
