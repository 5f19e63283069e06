#!/usr/bin/env bash
# Example images of other things for the out-of-scope score (`npm run train -- --negatives <dir>`):
# the photo stamps of Tux Paint (Debian package tuxpaint-stamps-default, GPL-2+; not one of the packages
# issue #14 keeps for its acceptance check). Written to $OUT (default .cache/petal/negatives):
#   train/       every stamp except the animals and the plants: what the shipped model learns from
#   heldout/animals, heldout/plants   never trained on: animals measure how the score generalises to a
#                kind of thing it never saw, plants (other flowers among them) how it treats flowers it
#                does not know
# Needs apt (Debian/Ubuntu) and network access to the package archive; re-running is a no-op.
set -euo pipefail
OUT=${1:-"$(cd "$(dirname "$0")/../../.." && pwd)/.cache/petal/negatives"}
PACKAGE=tuxpaint-stamps-default
if [[ -f "$OUT/.complete" ]]; then echo "negatives already in $OUT"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$PACKAGE" >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download "$PACKAGE"); }
dpkg-deb -x "$work"/"$PACKAGE"_*.deb "$work/root"
stamps="$work/root/usr/share/tuxpaint/stamps"
rm -rf "$OUT" && mkdir -p "$OUT/train" "$OUT/heldout/animals" "$OUT/heldout/plants"
while IFS= read -r -d '' file; do
  rel=${file#"$stamps"/}
  case "$rel" in
    animals/*) dest="$OUT/heldout/animals" ;;
    plants/*) dest="$OUT/heldout/plants" ;;
    *) dest="$OUT/train" ;;
  esac
  cp "$file" "$dest/${rel//\//_}"
done < <(find "$stamps" -type f -name '*.png' -print0)
dpkg-deb -f "$work"/"$PACKAGE"_*.deb Package Version > "$OUT/SOURCE"
touch "$OUT/.complete"
echo "negatives: $(ls "$OUT/train" | wc -l) to train on, $(ls "$OUT/heldout/animals" | wc -l) animals and $(ls "$OUT/heldout/plants" | wc -l) plants held out, in $OUT"
