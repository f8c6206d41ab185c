"""The portal's front-end assets from npm: the one list to change when the theme changes.

Plain data, no imports: ``setup.py`` reads it too, to copy exactly these files out of
``node_modules`` into the wheel at build time (``api/_assets/<package>/...``). Each entry is
(URL prefix, npm package, folder in the package, file patterns the pages need).
"""

NPM_ASSETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("/assets/nlds/components", "@rijkshuisstijl-community/components-css", "dist", ("index.css",)),
    ("/assets/nlds/tokens", "@rijkshuisstijl-community/design-tokens", "dist", ("index.css",)),
    (
        "/assets/fonts/fira-sans",
        "@fontsource/fira-sans",
        "",
        (
            "400.css",
            "600.css",
            "700.css",
            "files/fira-sans-*-400-normal.woff*",
            "files/fira-sans-*-600-normal.woff*",
            "files/fira-sans-*-700-normal.woff*",
        ),
    ),
)
