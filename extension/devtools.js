// DevTools page: adds the "JivoChat" panel (panel.html) for the inspected tab.
globalThis.browser ??= chrome;
browser.devtools.panels.create(browser.i18n.getMessage('devtools_panel_title') || 'JivoChat', 'icons/icon-32.png', 'panel.html');
