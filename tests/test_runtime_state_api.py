"""The embedded cluster serves Ray's State API: Ray Train's PlacementGroupCleaner asks it whether
a run's controller died, and without it a stopped Tune trial or a crashed run keeps its workers'
CPUs reserved for good (on 2 CPUs: the next trials wait forever)."""

import ray


def test_embedded_cluster_answers_state_api_queries(ray_local):
    from ray.util.state import list_actors

    @ray.remote(num_cpus=0)
    class Probe:
        def ping(self):
            return "pong"

    probe = Probe.remote()
    assert ray.get(probe.ping.remote()) == "pong"
    actors = list_actors(address=ray.get_runtime_context().gcs_address, limit=1000)
    mine = [a for a in actors if a.actor_id == probe._actor_id.hex()]
    assert [a.state for a in mine] == ["ALIVE"], [(a.class_name, a.state) for a in actors]
    ray.kill(probe)
