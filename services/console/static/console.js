// Little JavaScript, no build step: expand traffic exchanges and DMP contents on demand, poll a CIBA request.
"use strict";

document.addEventListener("toggle", async (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const body = details.querySelector(".exchange-body[data-src]");
  if (!body || body.dataset.loaded) return;
  body.dataset.loaded = "1";
  const response = await fetch(body.dataset.src);
  body.innerHTML = response.ok ? await response.text() : "Échange introuvable (" + response.status + ")";
}, true);

function pollCiba(status) {
  const wait = Math.max(Number(status.dataset.interval || 1), 1) * 1000;
  const tick = async () => {
    const response = await fetch(status.dataset.poll, { method: "POST" });
    const body = await response.json();
    if (body.status === "approved") {
      status.textContent = "Approuvée : connexion établie.";
      window.location.assign(body.next || "/");
    } else if (body.status === "authorization_pending" || body.status === "slow_down") {
      setTimeout(tick, body.status === "slow_down" ? wait * 2 : wait);
    } else {
      status.textContent = "Demande refusée ou expirée (" + body.status + ").";
      status.classList.add("notice", "bad");
    }
  };
  setTimeout(tick, wait);
}

async function loadLazy(box) {
  const response = await fetch(box.dataset.src);
  if (response.ok) box.innerHTML = await response.text();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".lazy[data-src]").forEach(loadLazy);
  const status = document.getElementById("ciba-status");
  if (status) pollCiba(status);
});
