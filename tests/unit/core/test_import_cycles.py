"""No import cycle among the modules of bgr_core, bgr_local and bgr_cli: imports inside functions
count too (grimp reads every import statement of a module, wherever it stands)."""

import grimp

PACKAGES = ("bgr_core", "bgr_local", "bgr_cli")


def cycles(graph: grimp.ImportGraph) -> set[tuple[str, ...]]:
    """Each cycle once, as the chain from its least module back to it."""
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain and module == min(chain):
                found.add((module, *chain))
    return found


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert len(graph.modules) > 50  # the packages were found, not an empty graph
    assert sorted(" -> ".join(c) for c in cycles(graph)) == []


def test_a_cycle_is_found_even_through_a_function_level_import():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.port", "pkg.adapter"):
        graph.add_module(name)
    graph.add_import(importer="pkg.adapter", imported="pkg.port")
    graph.add_import(importer="pkg.port", imported="pkg.adapter")
    assert cycles(graph) == {("pkg.adapter", "pkg.port", "pkg.adapter")}
