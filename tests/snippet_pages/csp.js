// The page's script under its strict policy (served with Content-Security-Policy: default-src 'self';
// script-src 'self', tests/snippet_support.py).
window.results = {violations: []};
document.addEventListener('securitypolicyviolation', e => { window.results.violations.push(e.violatedDirective); });
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('go').addEventListener('click', () => {
    const li = document.createElement('li'); li.textContent = 'csp-added'; document.getElementById('out').appendChild(li);
    window.results.clicked = true;
  });
});
