import { createHash } from 'node:crypto';

/**
 * The technicians' approval page, served at GET /approvals. No external assets. The technician
 * key is typed once and kept in sessionStorage (gone when the tab closes). Every value from the
 * API is written with textContent, never innerHTML, so a hostile reason or argument is shown as
 * text; the Content-Security-Policy allows only this page's own script and style (by hash).
 */

const style = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.3rem}
.card{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:.8rem 0}
.card h2{font-size:1.05rem;margin:.2rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:0}
dt{font-weight:600}
dd{margin:0;white-space:pre-wrap;word-break:break-word}
pre{background:#f3f3f3;padding:.4rem;margin:0;white-space:pre-wrap;word-break:break-word}
textarea{width:100%;min-height:3rem;margin:.5rem 0}
button{margin-right:.5rem;padding:.3rem .9rem}
.approve{background:#1b7f3a;color:#fff;border:0}
.reject{background:#b3261e;color:#fff;border:0}
#status{min-height:1.2rem;color:#555}
.error{color:#b3261e}
.warn{color:#8a4b00;font-weight:600}
.hidden{display:none}
`;

const script = `
(function () {
  var KEY = 'widip.technicianKey';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function say(text, isError) { var s = $('status'); s.textContent = text; s.className = isError ? 'error' : ''; }
  function key() { return sessionStorage.getItem(KEY) || ''; }
  function showLogin(show) { $('login').className = show ? '' : 'hidden'; $('main').className = show ? 'hidden' : ''; }
  function api(path, options) {
    options = options || {};
    options.headers = { 'Authorization': 'Bearer ' + key(), 'Content-Type': 'application/json' };
    return fetch('/api/approvals' + path, options).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 401 || res.status === 403) { sessionStorage.removeItem(KEY); showLogin(true); }
        if (!res.ok) throw new Error(body.message || ('HTTP ' + res.status));
        return body;
      });
    });
  }
  function row(dl, label, value) { dl.appendChild(el('dt', label)); var dd = el('dd'); if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value); dl.appendChild(dd); }
  function who(r) { var q = r.requester || {}; return [q.agent, q.workflow, q.execution ? '#' + q.execution : ''].filter(Boolean).join(' / ') || '?'; }
  function card(r) {
    var box = el('div', null, 'card');
    box.appendChild(el('h2', r.operationId + ' (L' + r.level + ')'));
    var dl = el('dl');
    row(dl, 'Arguments', el('pre', JSON.stringify(r.arguments, null, 2)));
    (r.warnings || []).forEach(function (w) { row(dl, 'Attention', el('span', w + ' : vérifiez ces caractères avant d\u2019approuver.', 'warn')); });
    row(dl, 'Demandé par', who(r));
    row(dl, 'Raison', r.reason);
    row(dl, 'Confiance', r.confidence === null ? '—' : r.confidence + ' %');
    row(dl, 'Créée', new Date(r.createdAt).toLocaleString());
    row(dl, 'Expire', new Date(r.expiresAt).toLocaleString());
    box.appendChild(dl);
    var comment = el('textarea');
    comment.placeholder = 'Commentaire (obligatoire pour refuser)';
    box.appendChild(comment);
    var ok = el('button', 'Approuver', 'approve');
    var no = el('button', 'Refuser', 'reject');
    function decide(action) {
      if (action === 'reject' && !comment.value.trim()) { say('Un refus demande un commentaire.', true); comment.focus(); return; }
      ok.disabled = no.disabled = true;
      api('/' + encodeURIComponent(r.id) + '/' + action, { method: 'POST', body: JSON.stringify({ comment: comment.value }) })
        .then(function () { say(action === 'approve' ? 'Approuvée.' : 'Refusée.'); load(); })
        .catch(function (e) { ok.disabled = no.disabled = false; say(e.message, true); });
    }
    ok.addEventListener('click', function () { decide('approve'); });
    no.addEventListener('click', function () { decide('reject'); });
    box.appendChild(ok); box.appendChild(no);
    return box;
  }
  var next = null;
  function page(cursor) {
    return api('/?limit=50' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')).then(function (body) {
      var list = $('list');
      body.requests.forEach(function (r) { list.appendChild(card(r)); });
      next = body.next;
      $('more').className = next ? '' : 'hidden';
      return body;
    });
  }
  function load() {
    if (!key()) { showLogin(true); return; }
    showLogin(false);
    var list = $('list');
    while (list.firstChild) list.removeChild(list.firstChild);
    page(null).then(function (body) {
      if (!body.requests.length) list.appendChild(el('p', 'Aucune demande en attente.'));
    }).catch(function (e) { say(e.message, true); });
  }
  $('loginForm').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('key').value.trim());
    $('key').value = '';
    load();
  });
  $('refresh').addEventListener('click', load);
  $('more').addEventListener('click', function () { if (next) page(next).catch(function (e) { say(e.message, true); }); });
  $('logout').addEventListener('click', function () { sessionStorage.removeItem(KEY); showLogin(true); });
  load();
  // A refresh would drop the older pages being read: only refresh the first page automatically.
  setInterval(function () { if (key() && $('list').children.length <= 50) load(); }, 30000);
})();
`;

function sha256(text: string): string {
	return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export const approvalPageCsp = [
	"default-src 'none'",
	`script-src ${sha256(script)}`,
	`style-src ${sha256(style)}`,
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join('; ');

export const approvalPage = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>WIDIP — approbations Safeguard</title>
<style>${style}</style>
</head>
<body>
<h1>WIDIP — demandes d'approbation Safeguard</h1>
<div id="status" role="status"></div>
<section id="login" class="hidden">
<form id="loginForm" autocomplete="off">
<label for="key">Clé technicien</label>
<input id="key" type="password" autocomplete="off" required>
<button type="submit">Entrer</button>
</form>
</section>
<section id="main" class="hidden">
<button id="refresh" type="button">Actualiser</button>
<button id="logout" type="button">Oublier la clé</button>
<div id="list"></div>
<button id="more" type="button" class="hidden">Demandes plus anciennes</button>
</section>
<script>${script}</script>
</body>
</html>
`;
