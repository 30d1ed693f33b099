"""cee_workflow.storage.reads: the light read tables never drift from the SQLModel tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

from cee_workflow.storage.models import metadata
from cee_workflow.storage.reads import LIGHT_TABLES


def _same_type(light: sa.types.TypeEngine, model: sa.types.TypeEngine) -> bool:
    # sqlmodel types a `str` field AutoString, its own String: a light String stands for it.
    if type(light) is sa.String:
        return isinstance(model, AutoString | sa.String)
    return type(model) is type(light)


@pytest.mark.parametrize("light", LIGHT_TABLES, ids=lambda table: table.name)
def test_each_light_column_is_a_model_column_of_the_same_type(light):
    model = metadata.tables[light.name]
    for column in light.columns:
        assert column.name in model.c, f"{light.name}.{column.name} is not a model column"
        model_type = model.c[column.name].type
        assert not isinstance(column.type, sa.types.NullType), (
            f"{light.name}.{column.name} is untyped: its values would come back raw")
        assert _same_type(column.type, model_type), (
            f"{light.name}.{column.name}: {type(column.type).__name__} here, "
            f"{type(model_type).__name__} in storage.models")
