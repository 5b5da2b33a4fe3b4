// Gives a Plotly chart the page's theme colours (the stylesheet's variables), once it is drawn and again whenever the
// reader switches theme (the "volunteer-theme" event). A chart removed from the page stops listening.
function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return { text: read("--muted"), grid: read("--border"), line: read("--accent") };
}

function apply(element) {
  if (!window.Plotly || !element._fullLayout) {
    return false;
  }
  const c = colours();
  window.Plotly.relayout(element, {
    "font.color": c.text,
    "xaxis.gridcolor": c.grid,
    "yaxis.gridcolor": c.grid,
    "xaxis.linecolor": c.grid,
    "yaxis.zerolinecolor": c.grid,
  });
  window.Plotly.restyle(element, { "line.color": c.line, fillcolor: c.line + "33" });
  return true;
}

export function follow(id) {
  // Plotly draws once its script has loaded: wait for the chart, for ten seconds at most.
  let tries = 0;
  const first = () => {
    const element = document.getElementById(id);
    if (!element || apply(element) || ++tries > 100) {
      return;
    }
    setTimeout(first, 100);
  };
  first();
  const onTheme = () => {
    const element = document.getElementById(id);
    if (!element) {
      document.removeEventListener("volunteer-theme", onTheme);
      return;
    }
    apply(element);
  };
  document.addEventListener("volunteer-theme", onTheme);
}
