// The reader's theme: dark unless they chose light (remembered on this browser) or their system prefers light and they
// never chose. Runs before the page paints, and the toggle works on every page without a live connection.
(function () {
  const key = "volunteer-theme";
  const root = document.documentElement;
  const stored = localStorage.getItem(key);
  const prefersLight = window.matchMedia && window.matchMedia("(prefers-color-scheme: light)").matches;
  root.dataset.theme = stored || (prefersLight ? "light" : "dark");
  document.addEventListener("click", function (event) {
    const toggle = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!toggle) {
      return;
    }
    const next = root.dataset.theme === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    localStorage.setItem(key, next);
    document.dispatchEvent(new CustomEvent("volunteer-theme", { detail: next }));
  });
})();
