# The PyTorch Geometric venv shared by bench/compare_pyg.sh and bench/pyg_interop.sh (sourced by both):
# BUILD/bench-venv, made once from bench/pyg_requirements.txt (PyPI's default torch wheel, ~3.5 GB with
# the CUDA libraries it links; minutes to install). A stamp in the venv holds the requirements file's
# hash, so an edited file installs again. Neither PyTorch nor PyG is a dependency of the build or of the
# tests that do not say so.
#   source bench/pyg_venv.sh
#   ensure_pyg_venv VENV   # 0: VENV/bin/python imports torch, torch_geometric, safetensors, h5py;
#                          # 1: it cannot be made (the reason on stderr: no python3-venv, no network, ...)

ensure_pyg_venv() {
  local venv=$1 repo_root requirements stamp want
  repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  requirements="$repo_root/bench/pyg_requirements.txt"
  stamp="$venv/.tango-requirements"
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  echo "pyg_venv: creating $venv from bench/pyg_requirements.txt (one time; ~3.5 GB download)" >&2
  if [[ ! -x "$venv/bin/python" ]] && ! python3 -m venv "$venv" >&2; then
    echo "pyg_venv: python3 -m venv failed (apt-get install python3-venv)" >&2
    return 1
  fi
  if ! "$venv/bin/pip" install --quiet -r "$requirements" >&2; then
    echo "pyg_venv: pip could not install bench/pyg_requirements.txt into $venv (no network to PyPI?)" >&2
    return 1
  fi
  if ! "$venv/bin/python" -c 'import torch, torch_geometric, safetensors, h5py' >&2; then
    echo "pyg_venv: the venv at $venv cannot import torch, torch_geometric, safetensors and h5py" >&2
    return 1
  fi
  echo "$want" > "$stamp"
}
