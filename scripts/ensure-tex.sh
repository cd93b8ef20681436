#!/usr/bin/env bash
# Make sure TeX can build the report: pdflatex, latexmk, pdftotext and the LaTeX packages the
# templates load. Checking takes a fraction of a second; when something is missing and we are
# root with apt-get, install Debian's TeX packages, otherwise say what to do and fail.
set -euo pipefail

TOOLS=(pdflatex latexmk pdftotext kpsewhich)
STYLES=(amsmath.sty amssymb.sty mathtools.sty booktabs.sty longtable.sty hyperref.sty xcolor.sty
        graphicx.sty geometry.sty microtype.sty tcolorbox.sty pgfplots.sty siunitx.sty lmodern.sty)
PACKAGES=(texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures
          texlive-science latexmk lmodern poppler-utils)

tex_ready() {
    local tool
    for tool in "${TOOLS[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || return 1
    done
    # kpsewhich prints one line per file it finds: all must be found, in one call.
    [ "$(kpsewhich "${STYLES[@]}" | wc -l)" -eq "${#STYLES[@]}" ]
}

if tex_ready; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tex: installing TeX (${PACKAGES[*]}), about 190 MB ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
        >/dev/null && tex_ready; then
        exit 0
    fi
    echo "ensure-tex: installing TeX with apt-get failed; the report needs: ${PACKAGES[*]}" >&2
    exit 1
fi

echo "ensure-tex: TeX is not installed and cannot be installed here (needs root and apt-get);" \
     "install: ${PACKAGES[*]}" >&2
exit 1
