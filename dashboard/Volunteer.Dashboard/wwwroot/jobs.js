// The job pages' charts follow the reader's theme: the chart asks which theme is on, and hears of each switch
// (theme.js fires "volunteer-theme" on the document).
const watchers = new Map();

export function watchTheme(key, chart) {
  const listener = (event) => chart.invokeMethodAsync("ThemeChanged", event.detail);
  watchers.set(key, listener);
  document.addEventListener("volunteer-theme", listener);
  return document.documentElement.dataset.theme || "dark";
}

export function unwatchTheme(key) {
  const listener = watchers.get(key);
  if (listener) {
    document.removeEventListener("volunteer-theme", listener);
    watchers.delete(key);
  }
}
