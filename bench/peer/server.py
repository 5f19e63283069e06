"""The obvious Python alternative to Petal's endpoint, for bench/peer.bench.ts only (not part of Petal):
FastAPI + Pillow + onnxruntime serving the same fused backbone+head ONNX graph, one uvicorn worker."""
import io
import os
import sys

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

MODEL, SIZE, PORT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
session = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
INPUT = session.get_inputs()[0].name
app = FastAPI()


@app.get("/ping")
def ping():
    return {"status": "ready"}


@app.post("/invocations")
async def invocations(request: Request):
    body = await request.body()
    try:
        image = Image.open(io.BytesIO(body)).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
    except Exception as err:  # noqa: BLE001 - any decoding failure is the client's
        return JSONResponse({"error": {"code": "CORRUPT_IMAGE", "message": str(err)}}, status_code=400)
    pixels = (np.asarray(image, dtype=np.float32) / 255.0)[None, ...]
    scores = session.run(None, {INPUT: pixels})[0][0]
    return {"predictions": scores.tolist()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, workers=1, log_level="warning", access_log=False)
