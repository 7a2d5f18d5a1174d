"""The TiTiler peer: TiTiler's own COG tiler, as its documentation sets it up, nothing added."""

from fastapi import FastAPI
from titiler.core.factory import TilerFactory

app = FastAPI()
app.include_router(TilerFactory().router)
