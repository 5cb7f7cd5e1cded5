"""Snapshots of what a page keeps at rest: cookies, localStorage, sessionStorage and IndexedDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext, Error, Page

# Reads every IndexedDB database the origin has, store by store. indexedDB.databases() exists in every
# current engine; a database that cannot be opened is skipped rather than failing the run.
_READ_STORAGE = """async () => {
  const entries = (store) => Object.keys(store).map((k) => [k, String(store.getItem(k))]);
  const out = { local: [], session: [], idb: [] };
  try { out.local = entries(localStorage); } catch (e) {}
  try { out.session = entries(sessionStorage); } catch (e) {}
  try {
    const dbs = indexedDB.databases ? await indexedDB.databases() : [];
    for (const info of dbs) {
      const db = await new Promise((ok, fail) => {
        const req = indexedDB.open(info.name);
        req.onsuccess = () => ok(req.result);
        req.onerror = () => fail(req.error);
        req.onupgradeneeded = () => { req.transaction.abort(); };
      }).catch(() => null);
      if (!db) continue;
      for (const name of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(name, "readonly");
        const store = tx.objectStore(name);
        const [keys, values] = await Promise.all([
          new Promise((ok) => { const r = store.getAllKeys(); r.onsuccess = () => ok(r.result); r.onerror = () => ok([]); }),
          new Promise((ok) => { const r = store.getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => ok([]); }),
        ]);
        keys.forEach((key, i) => {
          let value;
          try { value = JSON.stringify(values[i]); } catch (e) { value = String(values[i]); }
          out.idb.push([`${info.name}/${name}/${String(key)}`, value]);
        });
      }
      db.close();
    }
  } catch (e) {}
  return out;
}"""


@dataclass(frozen=True)
class StorageSnapshot:
    """Everything stored for the page's origin at one moment."""

    t_ms: float
    url: str
    cookies: tuple[tuple[str, str], ...]
    local_storage: tuple[tuple[str, str], ...]
    session_storage: tuple[tuple[str, str], ...]
    indexed_db: tuple[tuple[str, str], ...]

    def items(self) -> list[tuple[str, str, str]]:
        """``(area, key, value)`` for every stored value, for scanning."""
        areas = {
            "cookie": self.cookies,
            "localStorage": self.local_storage,
            "sessionStorage": self.session_storage,
            "indexedDB": self.indexed_db,
        }
        return [(area, key, value) for area, pairs in areas.items() for key, value in pairs]

    def to_json(self) -> dict[str, Any]:
        return {
            "t_ms": round(self.t_ms, 1),
            "url": self.url,
            "cookies": [list(p) for p in self.cookies],
            "localStorage": [list(p) for p in self.local_storage],
            "sessionStorage": [list(p) for p in self.session_storage],
            "indexedDB": [list(p) for p in self.indexed_db],
        }

    def __repr__(self) -> str:
        return f"<StorageSnapshot {self.url} items={len(self.items())} t={self.t_ms:.0f}ms>"


def snapshot(context: BrowserContext, page: Page | None, t_ms: float) -> StorageSnapshot:
    """Read cookies from the context and web storage from ``page`` (if it is still open)."""
    cookies = tuple((c.get("name", ""), c.get("value", "")) for c in context.cookies())
    data: dict[str, Any] = {"local": [], "session": [], "idb": []}
    url = ""
    if page is not None and not page.is_closed():
        url = page.url
        try:
            data = page.evaluate(_READ_STORAGE)
        except Error:
            pass  # the page navigated or closed meanwhile: cookies are still worth keeping
    pairs = lambda rows: tuple((str(k), str(v)) for k, v in rows)
    return StorageSnapshot(t_ms, url, cookies, pairs(data["local"]), pairs(data["session"]), pairs(data["idb"]))

