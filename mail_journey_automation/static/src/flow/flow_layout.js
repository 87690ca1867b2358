/**
 * Top-down tree layout of the journey flow: a pure function of the steps.
 *
 * Each subtree is as wide as its children side by side (at least one
 * card); a card is centred above its children. Collapsed cards hide their
 * subtree. A virtual "start" node sits above the first steps.
 */

export const CARD_WIDTH = 248;
export const START_HEIGHT = 32;
const H_GAP = 28;
const V_GAP = 76;
const PADDING = 24;

/**
 * @param {Object[]} steps cards from mail.journey.get_flow_data, parents first
 * @param {Object} options
 * @param {Set<number>} options.collapsed ids of the collapsed cards
 * @param {number} options.cardHeight
 * @returns {{nodes: Object[], edges: Object[], start: Object, width: number, height: number}}
 *  nodes: {step, x, y, childCount, hiddenCount}; edges: {id, path, label, branch, labelX, labelY}
 */
export function layoutFlow(steps, { collapsed, cardHeight }) {
    const children = new Map([[false, []]]);
    for (const step of steps) {
        children.set(step.id, []);
    }
    for (const step of steps) {
        // a parent out of the list (e.g. archived) makes the step a first step
        (children.get(step.parent_id) || children.get(false)).push(step);
    }
    const isOpen = (id) => id === false || !collapsed.has(id);
    const widths = new Map();
    const subtreeWidth = (id) => {
        if (!widths.has(id)) {
            const kids = isOpen(id) ? children.get(id) : [];
            const kidsWidth =
                kids.reduce((sum, kid) => sum + subtreeWidth(kid.id), 0) +
                H_GAP * Math.max(kids.length - 1, 0);
            widths.set(id, Math.max(CARD_WIDTH, kidsWidth));
        }
        return widths.get(id);
    };
    const countDescendants = (id) =>
        children.get(id).reduce((sum, kid) => sum + 1 + countDescendants(kid.id), 0);

    const nodes = [];
    const edges = [];
    const rowY = (depth) => PADDING + START_HEIGHT + V_GAP + (depth - 1) * (cardHeight + V_GAP);
    // place the children of `id` (bottom centre at `from`) in [left, left + width]
    const placeChildren = (id, left, depth, from) => {
        const kids = children.get(id);
        const total =
            kids.reduce((sum, kid) => sum + subtreeWidth(kid.id), 0) +
            H_GAP * Math.max(kids.length - 1, 0);
        let kidLeft = left + (subtreeWidth(id) - total) / 2;
        for (const kid of kids) {
            const width = subtreeWidth(kid.id);
            const x = kidLeft + (width - CARD_WIDTH) / 2;
            const y = rowY(depth);
            const open = isOpen(kid.id);
            nodes.push({
                step: kid,
                x,
                y,
                childCount: children.get(kid.id).length,
                hiddenCount: open ? 0 : countDescendants(kid.id),
            });
            const toX = x + CARD_WIDTH / 2;
            const busY = from.y + V_GAP / 3;
            edges.push({
                id: kid.id,
                path: `M ${from.x} ${from.y} V ${busY} H ${toX} V ${y}`,
                label: kid.wait,
                branch: kid.branch,
                labelX: toX,
                labelY: (busY + y) / 2,
            });
            if (open) {
                placeChildren(kid.id, kidLeft, depth + 1, { x: toX, y: y + cardHeight });
            }
            kidLeft += width + H_GAP;
        }
    };
    const width = subtreeWidth(false);
    const start = { x: PADDING + width / 2, y: PADDING };
    placeChildren(false, PADDING, 1, { x: start.x, y: PADDING + START_HEIGHT });
    const bottom = nodes.reduce((max, node) => Math.max(max, node.y + cardHeight), 0);
    return {
        nodes,
        edges,
        start,
        width: width + 2 * PADDING,
        height: Math.max(bottom, PADDING + START_HEIGHT) + PADDING,
    };
}
