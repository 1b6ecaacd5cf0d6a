"""The offline impact explorer: pick any service, spec, event or external and see what it breaks, in the page.

:func:`explorer_payload` turns the workspace graph into a compact, JSON-ready description: the service
names (sorted, so a service's index orders like its name), a team index per service, and for each
relation that counts the *reverse* adjacency (for every service, the indices of the services that
depend on it over that relation). Specs, events and externals map to the services they hit first (the
pinners, the consumers, the users after alias resolution). :func:`explorer_html` embeds that payload in
a ``<script type="application/json">`` block and adds a small inline script (no library, no network)
that walks it breadth-first in the browser.

The walk is :func:`~meta254lib.impact.walk.walk_dependents` in JavaScript: each level in name order,
the first service of a level to reach a dependent is its parent, and the hop is the first relation
(in the order of :func:`~meta254lib.graph.build.parse_relations`) that the edge has. So the set, the
distances and the why-paths equal ``meta254 impact`` for one change with the same relations and depth.

Examples
--------
>>> import networkx as nx
>>> G = nx.DiGraph()
>>> G.add_node("auth", team="access", contracts="auth-core@1.0.0")
>>> G.add_node("gateway", team="access", events_in="auth.token.v1")
>>> G.add_edge("gateway", "auth", relations="depends_on")
>>> p = explorer_payload(G)
>>> p["services"], p["team"], p["dependents"]
(['auth', 'gateway'], [0, 0], [[[1], []], [[], []]])
>>> p["specs"], p["events"]
({'auth-core': {'versions': ['1.0.0'], 'seeds': [0]}}, {'ids': ['auth.token.v1'], 'seeds': [[1]], 'producers': [0]})
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..core.columns import SPEC, TEAM
from ..graph.attrs import attr_list
from ..graph.build import DEFAULT_RELATIONS, parse_relations
from ..graph.rules import canonical_external
from ..impact.names import known_names
from .escape import html_escape
from .html_table import sortable_script

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = [
    "EXPLORER_FORMAT",
    "explorer_html",
    "explorer_payload",
    "show_impact_explorer",
    "workspace_explorer_payload",
]

#: The ``format`` field of a payload; the page script refuses any other.
EXPLORER_FORMAT = "meta254-impact-explorer/1"
#: Rows the page lists for one pick; the header always counts every impacted service.
EXPLORER_MAX_ROWS = 1000

_ids = itertools.count(1)


def explorer_payload(
    G: nx.DiGraph,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    aliases: Mapping[str, str] | None = None,
    spec_versions: Mapping[str, Iterable[str]] | None = None,
    events: Iterable[str] = (),
    externals: Iterable[str] = (),
    initial: str | None = None,
) -> dict[str, Any]:
    """The compact graph the impact explorer walks in the browser (JSON-ready).

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph: edges dependent → dependency with ``relations``; node attributes ``team``,
        ``contracts`` (``spec@version`` pins), ``events_in``, ``events_out`` and ``externals``.
    relations : str or iterable of str, optional
        The relations that count (default ``depends_on`` + ``consumes_event``), as for ``meta254 impact``.
    max_depth : int, optional
        Stop after this many hops (no limit when None).
    aliases : mapping, optional
        External-name aliases (None: the default ones).
    spec_versions : mapping, optional
        Spec → versions to offer besides the pinned ones (e.g. the spec registry's).
    events, externals : iterable of str
        Event ids and external names to offer besides those the graph names (registry events, aliases).
    initial : str, optional
        The change (``kind:value``) the page opens with.

    Returns
    -------
    dict
        ``format``, ``relations``, ``max_depth``, ``initial``, ``services`` (sorted names), ``teams``
        (sorted), ``team`` (an index into ``teams`` per service, -1 when none), ``dependents`` (per
        relation, per service: the sorted indices of its dependents over that relation), ``specs``
        (name → ``versions`` and ``seeds``, the pinners), ``events`` (columns ``ids``, ``seeds`` (the
        consumers) and ``producers`` (a count)) and ``externals`` (``names``: name → canonical name;
        ``users``: canonical name → seeds). Seeds are sorted service indices.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("db-proxy", externals="postgresql")
    >>> G.add_node("api", team="core")
    >>> G.add_edge("api", "db-proxy", relations="depends_on|consumes_event")
    >>> p = explorer_payload(G, externals=["postgres"], initial="service:db-proxy")
    >>> p["services"], p["teams"], p["team"], p["dependents"]
    (['api', 'db-proxy'], ['core'], [0, -1], [[[], [0]], [[], [0]]])
    >>> p["externals"]["names"], p["externals"]["users"], p["initial"]
    ({'postgres': 'postgresql', 'postgresql': 'postgresql'}, {'postgresql': [1]}, 'service:db-proxy')
    """
    chosen = parse_relations(relations)
    names = sorted((str(n) for n in G.nodes), key=str)
    index = {n: i for i, n in enumerate(names)}
    nodes = {str(n): a for n, a in G.nodes(data=True)}
    teams = sorted({str(a[TEAM]) for a in nodes.values() if _present(a.get(TEAM))})
    team_index = {t: i for i, t in enumerate(teams)}
    team = [team_index.get(str(nodes[n].get(TEAM)), -1) if _present(nodes[n].get(TEAM)) else -1 for n in names]
    dependents: list[list[list[int]]] = [[[] for _ in names] for _ in chosen]
    slot = {r: i for i, r in enumerate(chosen)}
    for u, v, attrs in G.edges(data=True):
        for r in attr_list(attrs.get("relations")):
            if r in slot:
                dependents[slot[r]][index[str(v)]].append(index[str(u)])
    for per_relation in dependents:
        for row in per_relation:
            row.sort()
    return {
        "format": EXPLORER_FORMAT,
        "relations": list(chosen),
        "max_depth": max_depth,
        "initial": initial,
        "services": names,
        "teams": teams,
        "team": team,
        "dependents": dependents,
        "specs": _specs(names, nodes, index, spec_versions or {}),
        "events": _events(names, nodes, index, events),
        "externals": _externals(names, nodes, index, externals, aliases),
    }


def _present(value: Any) -> bool:
    """A non-empty attribute value (not None, NaN or "")."""
    return value is not None and value == value and str(value) != ""


def _specs(
    names: list[str], nodes: Mapping[str, Any], index: Mapping[str, int], extra: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, list]]:
    """spec → the versions to offer and the services pinning it (any version), as in ``meta254 impact``."""
    seeds: dict[str, set[int]] = {}
    versions: dict[str, set[str]] = {}
    for n in names:
        for pin in attr_list(nodes[n].get("contracts")):
            spec, _, ver = str(pin).partition("@")
            seeds.setdefault(spec, set()).add(index[n])
            if ver:
                versions.setdefault(spec, set()).add(ver)
    for spec, vers in extra.items():
        seeds.setdefault(str(spec), set())
        versions.setdefault(str(spec), set()).update(str(v) for v in vers if _present(v))
    return {s: {"versions": sorted(versions.get(s, ())), "seeds": sorted(seeds[s])} for s in sorted(seeds)}


def _events(
    names: list[str], nodes: Mapping[str, Any], index: Mapping[str, int], extra: Iterable[str]
) -> dict[str, list]:
    """Columns ``ids`` (sorted), ``seeds`` (the consumers, hit first) and ``producers`` (a count) of every event."""
    consumers: dict[str, set[int]] = {str(e): set() for e in extra}
    producers: dict[str, int] = {}
    for n in names:
        for e in attr_list(nodes[n].get("events_in")):
            consumers.setdefault(e, set()).add(index[n])
        for e in attr_list(nodes[n].get("events_out")):
            consumers.setdefault(e, set())
            producers[e] = producers.get(e, 0) + 1
    ids = sorted(consumers)
    return {
        "ids": ids,
        "seeds": [sorted(consumers[e]) for e in ids],
        "producers": [producers.get(e, 0) for e in ids],
    }


def _externals(
    names: list[str],
    nodes: Mapping[str, Any],
    index: Mapping[str, int],
    extra: Iterable[str],
    aliases: Mapping[str, str] | None,
) -> dict[str, dict]:
    """``names`` (every external name offered → its canonical name) and ``users`` (canonical name → the
    services using it after alias resolution)."""
    users: dict[str, set[int]] = {}
    for n in names:
        for e in attr_list(nodes[n].get("externals")):
            users.setdefault(canonical_external(e, aliases), set()).add(index[n])
    offered = sorted(set(users) | {str(e) for e in extra if _present(e)})
    canonical = {e: canonical_external(e, aliases) for e in offered}
    return {
        "names": canonical,
        "users": {c: sorted(users.get(c, ())) for c in sorted(set(canonical.values()))},
    }


def workspace_explorer_payload(
    ws: Workspace,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    initial: str | None = None,
) -> dict[str, Any]:
    """:func:`explorer_payload` of a workspace: its graph and aliases, every spec version of the
    registry, and every event and external name a change may use (:func:`~meta254lib.impact.names.known_names`).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "auth", "api_contracts": ["auth-core@1.0.0"]},
    ...                  {"name": "gateway", "dependencies": {"internal": ["auth"], "external": ["postgres"]}}]}))
    >>> p = workspace_explorer_payload(m.open_workspace(root))
    >>> p["dependents"][0], p["specs"]
    ([[1], []], {'auth-core': {'versions': ['1.0.0'], 'seeds': [0]}})
    >>> p["externals"]["names"]
    {'postgres': 'postgresql', 'postgresql': 'postgresql'}
    """
    known = known_names(ws)
    versions: dict[str, set[str]] = {s: set() for s in known["spec"]}
    if ws.has_input("spec_registry"):
        reg = ws.spec_versions
        for spec, ver in zip(reg[SPEC], reg["version"], strict=True):
            if _present(spec) and _present(ver):
                versions.setdefault(str(spec), set()).add(str(ver))
    return explorer_payload(
        ws.graph,
        relations=relations,
        max_depth=max_depth,
        aliases=ws.aliases,
        spec_versions=versions,
        events=known["event"],
        externals=known["external"],
        initial=initial,
    )


def _json_for_script(payload: Mapping[str, Any]) -> str:
    """Compact JSON that cannot end its ``<script>`` element: ``<``, ``>`` and ``&`` as ``\\u`` escapes."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_CSS = (
    ".m254-impx{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;margin:0.6em 0 1.2em 0;"
    "background:#fff;font-size:14px}"
    ".m254-impx-pick{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:flex-start}"
    ".m254-impx-pick label{font-weight:600;display:block;margin-bottom:4px}"
    ".m254-impx-pick input{width:26em;max-width:100%;padding:3px 6px;font-size:13px}"
    ".m254-impx-pick select{display:block;width:34em;max-width:100%;font-size:13px;margin-top:4px}"
    ".m254-impx-count,.m254-impx-note,.m254-impx-more,.m254-impx-foot{color:#57606a;font-size:12px;margin:0.3em 0}"
    ".m254-impx-head{font-weight:600;margin:0.6em 0 0.2em 0}"
    ".m254-impx-scroll{overflow:auto;max-height:30em;border:1px solid #d0d7de;display:inline-block;max-width:100%}"
    ".m254-impx table{border-collapse:collapse;font-size:13px;margin:0}"
    ".m254-impx th,.m254-impx td{padding:3px 8px;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    ".m254-impx thead th{position:sticky;top:0;background:#f6f8fa}"
    ".m254-impx td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".m254-impx td.why{white-space:normal;min-width:20em;max-width:48em;overflow-wrap:anywhere}"
)

# The explorer. It reads the payload with JSON.parse and writes every name with textContent (never as
# HTML). walk() is meta254lib.impact.walk.walk_dependents: level by level in index (= name) order, the
# first service of a level to reach a dependent is its parent; the hop is the first relation that has the edge.
_JS = """(function(){
"use strict";
var root=document.getElementById("%(id)s");
if(!root||root.getAttribute("data-ready")==="1"){return;}
root.setAttribute("data-ready","1");
var P=JSON.parse(document.getElementById("%(id)s-data").textContent);
if(P.format!=="%(format)s"){return;}
var names=P.services,N=names.length,R=P.relations,maxDepth=P.max_depth;
var ORIGIN={spec:"pins_spec",event:"consumes_event",external:"uses_external"};
var input=root.querySelector("input"),select=root.querySelector("select");
var count=root.querySelector(".m254-impx-count"),head=root.querySelector(".m254-impx-head");
var note=root.querySelector(".m254-impx-note"),more=root.querySelector(".m254-impx-more");
var body=root.querySelector("tbody");
var items=[],byLabel={};
function add(kind,target,seeds,extra){
  var it={kind:kind,target:target,seeds:seeds,note:extra||"",label:kind+":"+target};
  it.key=it.label.toLowerCase();items.push(it);byLabel[it.label]=it;}
names.forEach(function(n,i){add("service",n,[i]);});
Object.keys(P.specs).forEach(function(s){var sp=P.specs[s];
  var why=sp.seeds.length?"":"no catalog service pins spec "+s;
  (sp.versions.length?sp.versions:[""]).forEach(function(v){add("spec",v?s+"@"+v:s,sp.seeds,why);});});
P.events.ids.forEach(function(e,i){var seeds=P.events.seeds[i],w=[];
  if(!P.events.producers[i]){w.push("no producer in the catalog");}
  if(!seeds.length){w.push("no consumer in the catalog");}
  add("event",e,seeds,w.join("; "));});
Object.keys(P.externals.names).forEach(function(x){var c=P.externals.names[x],seeds=P.externals.users[c],w=[];
  if(c!==x.toLowerCase()){w.push(x+" resolves to "+c);}
  if(!seeds.length){w.push("no catalog service uses "+c);}
  add("external",x,seeds,w.join("; "));});
function walk(starts,d0){
  var dist=new Int32Array(N).fill(-1),parent=new Int32Array(N).fill(-1),hop=new Int32Array(N).fill(-1);
  var frontier=starts.slice().sort(function(a,b){return a-b;}),order=frontier.slice(),d=d0;
  frontier.forEach(function(s){dist[s]=d0;});
  while(frontier.length&&(maxDepth===null||d<maxDepth)){
    var next=[];
    for(var k=0;k<frontier.length;k++){var u=frontier[k];
      for(var r=0;r<R.length;r++){var deps=P.dependents[r][u];
        for(var j=0;j<deps.length;j++){var p=deps[j];
          if(dist[p]<0){dist[p]=d+1;parent[p]=u;hop[p]=r;next.push(p);}}}}
    next.sort(function(a,b){return a-b;});
    for(var q=0;q<next.length;q++){order.push(next[q]);}
    frontier=next;d++;}
  return {dist:dist,parent:parent,hop:hop,order:order};}
function why(w,n,it){
  var parts=[names[n]],cur=n;
  while(w.parent[cur]>=0){parts.push("-"+R[w.hop[cur]]+"-> "+names[w.parent[cur]]);cur=w.parent[cur];}
  if(it.kind!=="service"){parts.push("-"+ORIGIN[it.kind]+"-> "+it.target);}
  return parts.join(" ");}
function cell(tr,text,cls){var td=document.createElement("td");td.textContent=text;
  if(cls){td.className=cls;}tr.appendChild(td);}
function plural(n,word){return n+" "+word+(n===1?"":"s");}
function show(it){
  var w=walk(it.seeds,it.kind==="service"?0:1);
  var hit=w.order.filter(function(n){return !(it.kind==="service"&&n===it.seeds[0]);});
  var far=hit.length?w.dist[hit[hit.length-1]]:0,teams={};
  hit.forEach(function(n){if(P.team[n]>=0){teams[P.team[n]]=1;}});
  head.textContent="What-if: if "+it.label+" changed, "+plural(hit.length,"service")+" would be impacted"+
    (hit.length?", up to "+plural(far,"hop")+" away, in "+plural(Object.keys(teams).length,"team"):"")+".";
  note.textContent=it.note;
  body.textContent="";
  hit.slice(0,%(max_rows)d).forEach(function(n){var tr=document.createElement("tr");
    tr.setAttribute("data-service",names[n]);
    cell(tr,names[n]);cell(tr,String(w.dist[n]),"num");
    cell(tr,P.team[n]>=0?P.teams[P.team[n]]:"");cell(tr,why(w,n,it),"why");body.appendChild(tr);});
  more.textContent=hit.length>%(max_rows)d?"Showing the nearest %(max_rows)d of "+hit.length+" services.":"";
  if(window.m254Sort){window.m254Sort.again(body.parentNode);}
  root.setAttribute("data-change",it.label);}
function filter(){
  var q=input.value.trim().toLowerCase(),found=0;select.textContent="";
  for(var i=0;i<items.length;i++){if(q&&items[i].key.indexOf(q)<0){continue;}
    found++;if(found>200){continue;}
    var o=document.createElement("option");o.value=items[i].label;o.textContent=items[i].label;select.appendChild(o);}
  count.textContent=found+" of "+items.length+" changes match"+(found>200?"; the first 200 are listed":"");}
function pick(label){var it=byLabel[label];if(it){show(it);}}
input.addEventListener("input",filter);
input.addEventListener("keydown",function(e){if(e.key==="Enter"&&select.options.length){
  select.selectedIndex=0;pick(select.value);e.preventDefault();}});
select.addEventListener("change",function(){pick(select.value);});
filter();
var first=byLabel[P.initial]||items[0];
if(first){select.value=first.label;show(first);}
})();"""


def explorer_html(payload: Mapping[str, Any], element_id: str | None = None) -> str:
    """The self-contained explorer: picker, header and impacted table, the payload and the script.

    The payload travels in ``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped, so no
    name can end the element; the script writes names with ``textContent`` only. The impacted table
    sorts by any column with the one table sorter (:func:`~meta254lib.views.html_table.sortable_script`);
    a new pick keeps the order the reader chose.

    Parameters
    ----------
    payload : mapping
        The dict of :func:`explorer_payload`.
    element_id : str, optional
        The id of the explorer's element (default: a process-unique one): letters, digits, ``-`` and ``_``.

    Returns
    -------
    str
        One HTML fragment.

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("</script><b>x</b>")
    >>> html = explorer_html(explorer_payload(G), "impx")
    >>> html.count("</script>"), "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003ex" in html
    (3, True)
    """
    eid = element_id or f"m254-impx-{next(_ids)}"
    rel = ", ".join(str(r) for r in payload.get("relations", ()))
    depth = payload.get("max_depth")
    limits = f"over {rel}" + ("" if depth is None else f", at most {depth} hops")
    script = _JS % {"id": eid, "format": EXPLORER_FORMAT, "max_rows": EXPLORER_MAX_ROWS}
    return (
        f'<div class="m254-impx" id="{html_escape(eid)}">'
        '<div class="m254-impx-pick"><div>'
        f'<label for="{html_escape(eid)}-q">What if this changed?</label>'
        f'<input type="search" id="{html_escape(eid)}-q" autocomplete="off" '
        'placeholder="Search a service, spec, event or external" aria-label="Search changes">'
        '<select size="8" aria-label="Matching changes"></select>'
        '<p class="m254-impx-count"></p></div></div>'
        f'<p class="m254-impx-head" aria-live="polite"></p><p class="m254-impx-note"></p>'
        '<div class="m254-impx-scroll"><table><thead><tr><th scope="col">service</th>'
        '<th scope="col" data-type="num">distance</th><th scope="col">team</th><th scope="col">why</th></tr></thead>'
        "<tbody></tbody></table></div>"
        f'<p class="m254-impx-more"></p><p class="m254-impx-foot">Computed in this page {html_escape(limits)}.</p>'
        "</div>"
        f'<script type="application/json" id="{html_escape(eid)}-data">{_json_for_script(payload)}</script>'
        f"<script>{script}</script><style>{_CSS}</style>{sortable_script(eid)}"
    )


def show_impact_explorer(
    ws: Workspace,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    initial: str | None = None,
) -> None:
    """Display the impact explorer of a workspace (a one-line summary outside a kernel).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"}, "services": [{"name": "auth"}]}))
    >>> show_impact_explorer(m.open_workspace(root))
    impact explorer: 1 service, 0 specs, 0 events, 0 externals (depends_on, consumes_event)
    """
    from .display import _publish

    payload = workspace_explorer_payload(ws, relations=relations, max_depth=max_depth, initial=initial)
    n = len(payload["services"])
    plain = (
        f"impact explorer: {n} service{'s' if n != 1 else ''}, {len(payload['specs'])} specs, "
        f"{len(payload['events']['ids'])} events, {len(payload['externals']['names'])} externals "
        f"({', '.join(payload['relations'])})"
    )
    _publish({"text/plain": plain, "text/html": explorer_html(payload)}, {"meta254": {"impact_explorer": True}})
