#!/usr/bin/env python3
"""Writes the OCI image layouts the shared image cases use, and the policy that goes with them.

Deterministic (no timestamps), so the committed files only change when this script does; a test
(bindings-python/tests/test_images.py) regenerates them into a temporary directory and compares.
Run it from anywhere after editing it:

    python3 core/tests/cases/generate_images.py [OUTPUT_DIR]

Layers are left out (an image with no layers is valid OCI): the image policy reads manifests and
configs only. The umoci-built layouts in the CLI tests cover images with real layers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGISTRY = "docker-registry.example.org"
ROOT_NAME = f"{REGISTRY}/bookworm:20251123"
TOOLCHAIN = {"org.lockkeeper.image.toolchain": "house-builder/1.4"}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def dump(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config(user: str | None = "1000", env: list[str] | None = None, labels: dict[str, str] | None = None,
           volumes: list[str] | None = None, arch: str = "amd64") -> bytes:
    run: dict[str, object] = {"Env": env or ["PATH=/usr/local/bin:/usr/bin:/bin"]}
    if user is not None:
        run["User"] = user
    if labels:
        run["Labels"] = labels
    if volumes:
        run["Volumes"] = {v: {} for v in volumes}
    return dump({"architecture": arch, "os": "linux", "config": run,
                 "rootfs": {"type": "layers", "diff_ids": []}})


def manifest(cfg: bytes, annotations: dict[str, str] | None = None) -> bytes:
    m: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(cfg), "size": len(cfg)},
        "layers": [],
    }
    if annotations:
        m["annotations"] = annotations
    return dump(m)


def descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest(data), "size": len(data), **extra}


def write_layout(out: Path, name: str, entry: dict[str, object], blobs: list[bytes],
                 replace: dict[str, bytes] | None = None) -> None:
    layout = out / name
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_bytes(dump({"imageLayoutVersion": "1.0.0"}))
    (layout / "index.json").write_bytes(dump({"schemaVersion": 2, "manifests": [entry]}))
    for blob in blobs:
        (layout / "blobs" / "sha256" / digest(blob)[7:]).write_bytes(blob)
    for d, data in (replace or {}).items():
        (layout / "blobs" / "sha256" / d[7:]).write_bytes(data)


def image(out: Path, name: str, cfg: bytes, annotations: dict[str, str] | None = None,
          ref: str = "1", replace: dict[str, bytes] | None = None) -> bytes:
    m = manifest(cfg, annotations)
    entry = descriptor(OCI_MANIFEST, m, annotations={"org.opencontainers.image.ref.name": ref})
    write_layout(out, name, entry, [m, cfg], replace)
    return m


def based_on(name: str, manifest_bytes: bytes) -> dict[str, str]:
    return {"org.opencontainers.image.base.name": name,
            "org.opencontainers.image.base.digest": digest(manifest_bytes)}


def generate(out: Path) -> None:
    images = out / "images"
    if images.exists():
        shutil.rmtree(images)
    images.mkdir(parents=True)
    app_labels = dict(TOOLCHAIN)
    app_env = ["PATH=/usr/local/bin:/usr/bin:/bin", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
               "API_TOKEN="]

    root = image(images, "root", config(user="65534", labels=TOOLCHAIN), ref=ROOT_NAME)
    on_root = based_on(ROOT_NAME, root)
    app = image(images, "app", config(env=app_env, labels=app_labels), on_root)
    image(images, "app-as-root", config(user=None, labels=app_labels), on_root)
    image(images, "app-uid-0", config(user="0:0", labels=app_labels), on_root)
    image(images, "app-secret", config(env=app_env + ["DB_PASSWORD=hunter2"], labels=app_labels), on_root)
    image(images, "app-docker-socket", config(labels=app_labels, volumes=["/var/run/docker.sock", "/data"]), on_root)
    image(images, "app-external", config(labels=app_labels),
          {"org.opencontainers.image.base.name": "debian:12",
           "org.opencontainers.image.base.digest": "sha256:" + "e" * 64})
    image(images, "app-orphan", config(labels=app_labels))
    image(images, "app-untooled", config(), on_root)
    image(images, "app-wrong-toolchain",
          config(labels={"org.lockkeeper.image.toolchain": "someone-elses-builder/2"}), on_root)
    labels_only = dict(app_labels)
    labels_only["org.lockkeeper.image.base.name"] = ROOT_NAME
    labels_only["org.lockkeeper.image.base.digest"] = digest(root)
    image(images, "app-lineage-labels", config(labels=labels_only))
    image(images, "app-on-app", config(labels=app_labels), based_on(f"{REGISTRY}/apps/app:1", app))

    # A multi-platform image: index.json -> image index blob -> one manifest per platform.
    platforms = []
    blobs: list[bytes] = []
    for arch in ("amd64", "arm64"):
        cfg = config(labels=app_labels, arch=arch)
        m = manifest(cfg, on_root)
        blobs += [m, cfg]
        platforms.append(descriptor(OCI_MANIFEST, m, platform={"architecture": arch, "os": "linux"}))
    index = dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": platforms})
    write_layout(images, "multi-platform",
                 descriptor(OCI_INDEX, index, annotations={"org.opencontainers.image.ref.name": "1"}),
                 blobs + [index])

    # A config changed after the manifest was written: the manifest no longer names it.
    good = config(env=app_env, labels=app_labels)
    image(images, "tampered", good, on_root,
          replace={digest(good): good.replace(b'"User":"1000"', b'"User":"0000"')})
    # A manifest blob that is not JSON (its digest is right: the bytes are what was published).
    garbage = b'{"schemaVersion": 2, "config": '
    write_layout(images, "malformed", descriptor(OCI_MANIFEST, garbage), [garbage])

    # The same app as a manifest + config pair of files, and a config that does not match.
    pair = images / "pair"
    pair.mkdir()
    app_cfg = config(env=app_env, labels=app_labels)
    (pair / "manifest.json").write_bytes(manifest(app_cfg, on_root))
    (pair / "config.json").write_bytes(app_cfg)
    (pair / "config-as-root.json").write_bytes(config(user="root", env=app_env, labels=app_labels))

    policy = f"""# Written by generate_images.py: the image policy the shared image cases run against.
images:
  allowed_bases: [{REGISTRY}/]
  approved_roots:
    - name: {REGISTRY}/bookworm
      digest: {digest(root)}
      description: our Debian bookworm base
  toolchain_labels:
    org.lockkeeper.image.toolchain: "house-builder/*"
  allowed_env: [GPG_KEY]
"""
    (out / "policies").mkdir(exist_ok=True)
    (out / "policies" / "images.yaml").write_text(policy)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
