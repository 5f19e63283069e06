#!/bin/sh
# Entry point of the petal-training image, which runs both SageMaker jobs of the flower pipeline:
#   train        the training job: SageMaker runs `docker run <image> train` (ml/training/src/sagemaker.ts)
#   processing   the evaluation job: the pipeline's ProcessingStep passes ContainerArguments ["processing"]
#                (ml/evaluation/src/processing.ts)
#   evaluate ... the evaluation CLI with its own flags (--model, --data, --out) on mounted folders
#   anything else runs as given (e.g. `sh` to look around).
#
# SageMaker documents that it runs job containers as root and creates the /opt/ml mounts as root, so a
# job started as a non-root USER cannot write /opt/ml/model. The image therefore starts as root, gives the
# job's writable folders to the unprivileged `node` user and runs the job as `node` (setpriv, no
# capabilities). Started as any other user (docker run --user 1000), it runs the job as that user.
set -eu

case "${1:-train}" in
  train)
    [ $# -gt 0 ] && shift
    set -- node /app/ml/training/dist/cli.js train "$@"
    ;;
  processing)
    shift
    set -- node /app/ml/evaluation/dist/cli.js processing "$@"
    ;;
  evaluate)
    shift
    set -- node /app/ml/evaluation/dist/cli.js "$@"
    ;;
esac

if [ "$(id -u)" = 0 ]; then
  for dir in /opt/ml/model /opt/ml/output /opt/ml/checkpoints /opt/ml/processing/output; do
    if [ -d "$dir" ]; then chown -R node:node "$dir"; fi
  done
  HOME=/home/node
  export HOME
  exec setpriv --reuid=node --regid=node --init-groups --inh-caps=-all -- "$@"
fi
exec "$@"
