# Sourced by the scripts here: put the folders uv is installed into by pip --user, uv's
# own installer and pipx on PATH, so uv is found even before the user's shell knows them.
uv_user_base=$(python3 -m site --user-base 2>/dev/null || true)
export PATH="$HOME/.local/bin${uv_user_base:+:$uv_user_base/bin}:$PATH"
unset uv_user_base
