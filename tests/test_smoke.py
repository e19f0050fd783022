import json


def test_seed_example_json(gradcli):
    r = gradcli("eval", "L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "L": 1.0}
