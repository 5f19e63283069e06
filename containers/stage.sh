#!/bin/sh
# The steps the stages of containers/Dockerfile share, so each image says *which* workspaces it needs and
# not *how* to install them. Runs inside the build, from the directory that holds the root package.json.
#
#   stage.sh manifests DEST          root package.json, lock and .npmrc, and every workspace's package.json
#                                    (the workspace list is read from package.json, not repeated here)
#   stage.sh dists DEST              every workspace's compiled dist/ (and the web's built UI in it)
#   stage.sh install WORKSPACE...    production dependencies of those workspaces only, and nothing else
#   stage.sh take-dists FROM         the dist/ of exactly the workspaces `install` linked into node_modules
set -eu

# Workspace folders from the root package.json's globs (packages/*, ml/*, apps/*, infra).
workspace_dirs() {
  node -p "require('./package.json').workspaces.join('\n')" | while read -r pattern; do
    # The glob is expanded by the shell on purpose.
    for dir in $pattern; do
      if [ -f "$dir/package.json" ]; then echo "$dir"; fi
    done
  done
}

# onnxruntime-node ships its native library for every platform (darwin, win32 with DirectML, linux arm64
# and x64: ~290 MB); a Linux image needs one of them (~45 MB).
prune_onnxruntime() {
  bin=node_modules/onnxruntime-node/bin
  [ -d "$bin" ] || return 0
  arch=$(node -p process.arch)
  for dir in "$bin"/napi-v*/*; do
    if [ "$(basename "$dir")" != linux ]; then rm -rf "$dir"; fi
  done
  for dir in "$bin"/napi-v*/linux/*; do
    if [ "$(basename "$dir")" != "$arch" ]; then rm -rf "$dir"; fi
  done
  if [ ! -d "$bin"/napi-v*/linux/"$arch" ]; then
    echo "stage.sh: onnxruntime-node has no binary for linux/$arch" >&2
    exit 1
  fi
}

command=${1:?usage: stage.sh manifests|dists|install|take-dists ...}
shift
case "$command" in
  manifests)
    dest=${1:?manifests DEST}
    mkdir -p "$dest"
    cp package.json package-lock.json .npmrc "$dest/"
    workspace_dirs | while read -r dir; do
      mkdir -p "$dest/$dir"
      cp "$dir/package.json" "$dest/$dir/"
    done
    ;;
  dists)
    dest=${1:?dists DEST}
    mkdir -p "$dest"
    workspace_dirs | while read -r dir; do
      if [ -d "$dir/dist" ]; then
        mkdir -p "$dest/$dir"
        cp -a "$dir/dist" "$dest/$dir/"
      fi
    done
    ;;
  install)
    [ $# -gt 0 ] || { echo "stage.sh install: name at least one workspace" >&2; exit 2; }
    set -- $(for ws in "$@"; do printf -- '--workspace=%s ' "$ws"; done)
    # --omit=dev alone still installs every workspace some manifest names as a devDependency, with its
    # whole production tree (the web's tests depend on the WAS, the pipeline, ...: +450 MB of TF.js and
    # ONNX Runtime in the web image). Production needs no devDependencies, so they go from every manifest
    # first; npm ci accepts a lock that has more than the manifests ask for.
    workspace_dirs | while read -r dir; do
      node -e "const f=process.argv[1], fs=require('fs'), p=JSON.parse(fs.readFileSync(f)); delete p.devDependencies; fs.writeFileSync(f, JSON.stringify(p))" "$dir/package.json"
    done
    node -e "const f='package.json', fs=require('fs'), p=JSON.parse(fs.readFileSync(f)); delete p.devDependencies; fs.writeFileSync(f, JSON.stringify(p))"
    # The lock file is the whole monorepo's; --workspace limits the install to these workspaces' trees.
    npm ci --omit=dev --no-audit --no-fund "$@"
    prune_onnxruntime
    # Dependencies' source maps: nothing loads them without --enable-source-maps, and TF.js alone ships
    # 200 MB of them (Petal's own dist/*.map stay).
    find node_modules -name '*.map' -type f -delete
    npm cache clean --force 2>/dev/null
    rm -rf /root/.npm /tmp/*
    ;;
  take-dists)
    from=${1:?take-dists FROM}
    for link in node_modules/@petal/*; do
      dir=$(realpath --relative-to=. "$link")
      if [ -d "$from/$dir/dist" ]; then cp -a "$from/$dir/dist" "$dir/"; fi
    done
    ;;
  *)
    echo "stage.sh: unknown command $command" >&2
    exit 2
    ;;
esac
