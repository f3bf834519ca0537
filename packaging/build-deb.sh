#!/usr/bin/env bash
# Builds the Debian package of CartoSol with dpkg-deb: target/debian/cartosol_<version>-1_<arch>.deb
# (printed on the last line). What it installs:
#   /usr/bin/cartosol                                 the app and the command line (feature gui)
#   /usr/share/applications/cartosol.desktop          menu entry, opens *.cartosol.json
#   /usr/share/icons/hicolor/scalable/apps/cartosol.svg
#   /usr/share/mime/packages/cartosol.xml             MIME type application/x-cartosol-project
#   /usr/share/cartosol/sample_data/                  the bundled Essonne sample (found by the app)
#   /usr/share/doc/cartosol/                          copyright, README
# The MIME, desktop and icon caches are refreshed by the dpkg triggers of shared-mime-info,
# desktop-file-utils and the icon theme: no maintainer script is needed.
#
# Environment:
#   CARTOSOL_DEB_PROFILE   release (default, what users install) or debug
#   CARTOSOL_DEB_FEATURES  cargo feature options (default: none, i.e. the default feature gui;
#                          CI passes --all-features after `cargo test --release --all-features`:
#                          the dependencies are reused, CartoSol is compiled once more, ~1.5 min)
#   CARTOSOL_DEB_COMPRESS  dpkg-deb compressor: xz (default), gzip (faster), zstd, none
# Needs dpkg-dev (dpkg-shlibdeps) and binutils (strip): `apt-get install build-essential`.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${CARTOSOL_DEB_PROFILE:-release}
features=${CARTOSOL_DEB_FEATURES:-}
compress=${CARTOSOL_DEB_COMPRESS:-xz}
case "$profile" in
  release) cargo_profile=release; out_dir=release ;;
  debug | dev) cargo_profile=dev; out_dir=debug ;;
  *) echo "CARTOSOL_DEB_PROFILE : release ou debug attendu, pas « $profile »" >&2; exit 2 ;;
esac
for tool in dpkg-deb dpkg-shlibdeps strip; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "$tool introuvable : installez dpkg-dev et binutils (apt-get install build-essential)" >&2
    exit 1
  }
done

# shellcheck disable=SC2086 # $features holds several options on purpose
cargo build --locked --profile "$cargo_profile" --bin cartosol $features >&2
echo "build-deb : binaire ($profile) prêt en $SECONDS s" >&2

target=${CARGO_TARGET_DIR:-target}
binary="$target/$out_dir/cartosol"
version=$(cargo pkgid | sed 's/.*[#@]//')
arch=$(dpkg --print-architecture)
deb_version="$version-1"
root="$target/debian/cartosol"
deb="$target/debian/cartosol_${deb_version}_${arch}.deb"

rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/applications" \
  "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/mime/packages" \
  "$root/usr/share/cartosol" "$root/usr/share/doc/cartosol"
install -m 0755 "$binary" "$root/usr/bin/cartosol"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/cartosol"
install -m 0644 assets/cartosol.desktop "$root/usr/share/applications/cartosol.desktop"
install -m 0644 assets/icons/hicolor/scalable/apps/cartosol.svg \
  "$root/usr/share/icons/hicolor/scalable/apps/cartosol.svg"
install -m 0644 assets/mime/cartosol.xml "$root/usr/share/mime/packages/cartosol.xml"

# The sample: every file of sample_data/ but hidden ones (an autosave left by a run from the
# checkout) and Python caches. The projects name their sources relative to themselves, so the
# folder is copied as it is.
while IFS= read -r -d '' file; do
  install -D -m 0644 "$file" "$root/usr/share/cartosol/$file"
done < <(find sample_data -type f ! -path '*/.*' ! -path '*/__pycache__/*' -print0 | sort -z)

install -m 0644 packaging/copyright "$root/usr/share/doc/cartosol/copyright"
gzip -9n -c README.md > "$root/usr/share/doc/cartosol/README.md.gz"
chmod 0644 "$root/usr/share/doc/cartosol/README.md.gz"

# Depends: the shared libraries the binary links (dpkg-shlibdeps, as cargo-deb's $auto), plus
# those the window opens at run time with dlopen, which no tool sees: the Vulkan loader and a
# Vulkan driver for wgpu (Mesa's lavapipe draws on the CPU where the GPU has none), EGL (wgpu's
# GL fallback), X11/xcb or Wayland, xkbcommon. The list is what the binary names, checked with
#   grep -aoE 'lib(X[A-Za-z0-9-]*|vulkan|EGL|wayland-[a-z]+|xkbcommon[a-z-]*|xcb)\.so\.[0-9]+' \
#     target/release/cartosol | sort -u
shlibs_dir=$(mktemp -d)
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir -p "$shlibs_dir/debian"
printf 'Source: cartosol\n\nPackage: cartosol\nArchitecture: any\n' > "$shlibs_dir/debian/control"
abs_binary=$(realpath "$root/usr/bin/cartosol")
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$abs_binary" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
runtime="libvulkan1, mesa-vulkan-drivers | vulkan-icd, libegl1, libx11-6, libx11-xcb1, libxcb1, libxcursor1, libxi6, libxkbcommon0, libwayland-client0, libwayland-egl1"
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)

cat > "$root/DEBIAN/control" <<EOF
Package: cartosol
Version: $deb_version
Architecture: $arch
Maintainer: CartoSol <cartosol@localhost>
Installed-Size: $installed_kib
Depends: ${shlibs:+$shlibs, }$runtime
Section: science
Priority: optional
Description: cartographie des besoins sociaux et de l'offre de services
 CartoSol met en regard les besoins sociaux (indicateurs de pauvreté par EPCI
 et par commune) et l'offre de services publics (points de service géocodés par
 thème) pour le diagnostic territorial du Pacte local des solidarités : zones
 sous-desservies, diagnostic (profils, facteurs aggravants, LISA, typologie),
 suivi T0 / T+3, implantation de nouveaux sites, tableau des dispositifs, pistes
 de contractualisation et support de séance du comité.
 .
 Il lit les données publiques françaises telles qu'elles sont publiées (IGN
 ADMIN EXPRESS en Shapefile ou GeoPackage, GeoJSON, classeurs et CSV de
 l'INSEE, exports data·inclusion) et exporte des cartes (PNG, SVG, PDF) et des
 tables (CSV, XLSX, GeoPackage) avec le secret statistique appliqué.
 .
 Le paquet installe l'application (menu Science, double-clic sur un fichier
 *.cartosol.json), la commande « cartosol » et le projet d'exemple de l'Essonne
 (géographie réelle, données de pauvreté et points de service FICTIFS) dans
 /usr/share/cartosol/sample_data.
EOF

find "$root" -type d -exec chmod 0755 {} +
rm -f "$deb"
dpkg-deb --root-owner-group -Z"$compress" --build "$root" "$deb" >&2
echo "build-deb : paquet écrit en $SECONDS s au total" >&2
echo "$deb"
