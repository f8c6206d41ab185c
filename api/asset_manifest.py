"""The portal's front-end assets from npm: the one list to change when the theme changes.

Plain data, no imports: ``setup.py`` reads it too, to copy exactly these files out of
``node_modules`` into the wheel at build time (``api/_assets/<package>/...``). Each entry is
(URL prefix, npm package, folder in the package, file patterns the pages need).
"""

NPM_ASSETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("/assets/nlds/components", "@utrecht/component-library-css", "dist", ("index.css",)),
    ("/assets/nlds/tokens", "@utrecht/design-tokens", "dist", ("index.css",)),
    (
        "/assets/fonts/noto-sans",
        "@fontsource-variable/noto-sans",
        "",
        ("index.css", "files/*-wght-normal.woff2"),
    ),
)
