import json

from click.testing import CliRunner

from hepatica.cli import main


def test_lirads_command_categorizes_each_observation(tmp_path):
    features = tmp_path / "features.json"
    features.write_text(
        json.dumps(
            [
                {
                    "id": "1",
                    "high_risk": True,
                    "size_mm": 23,
                    "aphe": "nonrim",
                    "washout": "nonperipheral",
                    "capsule": True,
                },
                {"id": "2", "high_risk": True, "missing_phases": ["arterial"]},
            ]
        )
    )
    result = CliRunner().invoke(main, ["lirads", str(features)])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert [(o["id"], o["category"]) for o in output] == [("1", "LR-5"), ("2", "LR-NC")]
    assert output[0]["reasons"][-1].endswith("-> LR-5.")


def test_lirads_command_reads_one_object_and_refuses_bad_input(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["lirads", "-"], input='{"high_risk": true, "aphe": "rim", "size_mm": 30}')
    assert result.exit_code == 0 and json.loads(result.stdout)["category"] == "LR-M"
    result = runner.invoke(main, ["lirads", "-"], input='{"high_risk": "maybe"}')
    assert result.exit_code == 2 and "observation 1: high_risk" in result.output
