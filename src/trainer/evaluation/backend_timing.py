"""How long from "Start training" in Label Studio to the ML backend serving the new model?

Everything is real: a Label Studio server with its own data folder, the backend
serving ``model_dir`` in a thread, a project whose tasks are an annotated export
(for example the seed gold), and the API call Label Studio's "Start training"
button makes. The clock starts at that call and stops when the backend serves
a new version: export, validation, training with ``train_config`` and the swap.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from trainer.config import RunConfig
from trainer.errors import TrainerError
from trainer.labelstudio.backend import Backend, serve_backend
from trainer.labelstudio.client import connect, connect_backend, import_tasks, init_project
from trainer.labelstudio.server import Credentials, LabelStudioServer, free_port

POLL_SECONDS = 1.0


def time_training_from_ui(
    model_dir: str | Path, train_config: RunConfig, annotations: str | Path, log: Callable[[str], None] = print
) -> dict:
    """{"before", "after": served versions, "seconds": from the button to the new model serving}."""
    with tempfile.TemporaryDirectory(prefix="backend-timing-") as temporary:
        workdir = Path(temporary)
        server = LabelStudioServer(free_port(), data_dir=workdir / "labelstudio", credentials=Credentials.generate())
        with server:
            client = connect(server.url, server.api_key)
            backend = Backend(model_dir, train_config, workdir / "backend", log=log)
            http = serve_backend(backend, "127.0.0.1", free_port())
            threading.Thread(target=http.serve_forever, daemon=True).start()
            try:
                project = init_project(client, "backend timing", backend.schema).id
                connect_backend(client, project, f"http://127.0.0.1:{http.port}", "timed model")
                import_tasks(client, project, [annotations])
                before = backend.served.version
                [ml_backend] = client.ml.list(project=project)
                pressed = time.monotonic()
                client.ml.train(id=ml_backend.id)  # what the "Start training" button calls
                while backend.served.version == before:
                    failed = [job for job in backend.jobs.values() if job.status == "failed"]
                    if failed:
                        raise TrainerError(f"the training started from Label Studio failed: {failed[0].message}")
                    time.sleep(POLL_SECONDS)
                seconds = time.monotonic() - pressed
            finally:
                http.shutdown()
    return {"before": before, "after": backend.served.version, "seconds": seconds}
