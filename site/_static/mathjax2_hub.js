// The widget manager (html-manager 1.x) typesets widget text with MathJax 2's MathJax.Hub.Queue;
// the site loads MathJax 3, so give it that one call, mapped to MathJax 3's typesetPromise.
// Registered before the widget manager's own load handler, which renders the widgets.
window.addEventListener("load", () => {
  if (window.MathJax && window.MathJax.startup && !window.MathJax.Hub) {
    window.MathJax.Hub = {
      Queue: ([, , element]) => window.MathJax.startup.promise.then(() => window.MathJax.typesetPromise([element])),
    };
  }
});
