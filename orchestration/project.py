"""The dbt project, shared by the dbt assets, the tests and the CLI."""

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

lead_scoring_dbt = DbtProject(project_dir=DBT_PROJECT_DIR)
# Under `dagster dev` this (re)builds target/manifest.json; elsewhere `make manifest` does.
lead_scoring_dbt.prepare_if_dev()
