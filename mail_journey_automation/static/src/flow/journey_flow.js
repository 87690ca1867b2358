import { Component, toRaw, useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { FormViewDialog } from "@web/views/view_dialogs/form_view_dialog";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { CARD_WIDTH, START_HEIGHT, layoutFlow } from "./flow_layout";

const STEP_MODEL = "mail.journey.step";
const MIN_SCALE = 0.2;
const MAX_SCALE = 2;
const READABLE_SCALE = 0.75; // the flow is first shown at this scale at least
// the figures of a card, in the order shown, with their icon
const FIGURES = [
    { name: "reached", icon: "fa-sign-in", label: _t("Reached") },
    { name: "waiting", icon: "fa-hourglass-half", label: _t("Waiting") },
    { name: "done", icon: "fa-check", label: _t("Done") },
    { name: "opened", icon: "fa-envelope-open-o", label: _t("Opened") },
    { name: "clicked", icon: "fa-mouse-pointer", label: _t("Clicked") },
    { name: "replied", icon: "fa-reply", label: _t("Replied") },
    { name: "converted", icon: "fa-trophy", label: _t("Converted") },
];

/**
 * The steps of a journey drawn as a tree, top-down: one card per step,
 * the wait on the connector above it. Click a card to edit the step, "+" to
 * add a step after it, "Move" then another card to put it after that one.
 */
export class JourneyFlow extends Component {
    static template = "mail_journey_automation.JourneyFlow";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        this.viewport = useRef("viewport");
        this.figures = FIGURES;
        this.cardWidth = CARD_WIDTH;
        this.startHeight = START_HEIGHT;
        this.state = useState({
            steps: [],
            collapsed: new Set(),
            moving: null,
            fullscreen: false,
            scale: 1,
            x: 0,
            y: 0,
        });
        this.fitPending = true; // fit the flow to the viewport once drawn
        // (re)load when the journey is saved or reloaded: its data is then replaced
        useEffect(
            (resId) => {
                if (resId) {
                    this.load();
                }
            },
            () => [this.props.record.resId, toRaw(this.props.record.data)]
        );
        useEffect(() => {
            if (this.fitPending && this.viewport.el) {
                this.fitPending = false;
                this.fit(READABLE_SCALE);
            }
        });
    }

    get showFigures() {
        return this.props.record.data.state !== "draft";
    }

    get cardHeight() {
        return this.showFigures ? 104 : 76;
    }

    get layout() {
        return layoutFlow(this.state.steps, {
            collapsed: this.state.collapsed,
            cardHeight: this.cardHeight,
        });
    }

    canvasStyle(layout) {
        const { x, y, scale } = this.state;
        return `width: ${layout.width}px; height: ${layout.height}px; transform: translate(${x}px, ${y}px) scale(${scale});`;
    }

    nodeStyle(node) {
        return `left: ${node.x}px; top: ${node.y}px; width: ${CARD_WIDTH}px; height: ${this.cardHeight}px;`;
    }

    collapseTitle(node) {
        return node.hiddenCount ? _t("Show the next steps") : _t("Hide the next steps");
    }

    figuresOf(step) {
        return FIGURES.filter((figure) => figure.name in step.figures);
    }

    async load() {
        const data = await this.orm.call(this.props.record.resModel, "get_flow_data", [
            [this.props.record.resId],
        ]);
        this.state.steps = data.steps;
    }

    // ------------------------------------------------------------------
    // Pan and zoom
    // ------------------------------------------------------------------

    zoom(factor, centerX, centerY) {
        const { scale, x, y } = this.state;
        const rect = this.viewport.el.getBoundingClientRect();
        const cx = centerX ?? rect.width / 2;
        const cy = centerY ?? rect.height / 2;
        const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * factor));
        Object.assign(this.state, {
            scale: next,
            x: cx - ((cx - x) * next) / scale,
            y: cy - ((cy - y) * next) / scale,
        });
    }

    /** Show the whole flow, at ``minScale`` at least (then the top of it). */
    fit(minScale = MIN_SCALE) {
        const { width, height, start } = this.layout;
        const rect = this.viewport.el.getBoundingClientRect();
        const scale = Math.max(minScale, Math.min(1, rect.width / width, rect.height / height));
        Object.assign(this.state, { scale, x: rect.width / 2 - start.x * scale, y: 0 });
    }

    onWheel(ev) {
        const rect = this.viewport.el.getBoundingClientRect();
        this.zoom(ev.deltaY < 0 ? 1.1 : 1 / 1.1, ev.clientX - rect.left, ev.clientY - rect.top);
    }

    onPointerDown(ev) {
        if (ev.button !== 0 || ev.target.closest(".o_journey_flow_node, button")) {
            return;
        }
        const origin = { x: ev.clientX - this.state.x, y: ev.clientY - this.state.y };
        const el = this.viewport.el;
        const move = (moveEv) => {
            this.state.x = moveEv.clientX - origin.x;
            this.state.y = moveEv.clientY - origin.y;
        };
        const stop = () => {
            el.removeEventListener("pointermove", move);
            el.removeEventListener("pointerup", stop);
            el.classList.remove("o_journey_flow_panning");
        };
        el.setPointerCapture(ev.pointerId);
        el.classList.add("o_journey_flow_panning");
        el.addEventListener("pointermove", move);
        el.addEventListener("pointerup", stop);
    }

    toggleFullscreen() {
        this.state.fullscreen = !this.state.fullscreen;
        this.fitPending = true;
    }

    toggleCollapse(step) {
        const collapsed = this.state.collapsed;
        if (collapsed.has(step.id)) {
            collapsed.delete(step.id);
        } else {
            collapsed.add(step.id);
        }
    }

    // ------------------------------------------------------------------
    // Editing
    // ------------------------------------------------------------------

    /** Open the step form in a dialog (a new step without ``stepId``). */
    async openStep(stepId, context = {}) {
        const record = this.props.record;
        if (!(await this.saveJourney())) {
            return;
        }
        this.dialog.add(FormViewDialog, {
            resModel: STEP_MODEL,
            resId: stepId,
            title: stepId ? _t("Journey Step") : _t("New Step"),
            context: { default_journey_id: record.resId, ...context },
            preventEdit: this.props.readonly,
            // the journey reloads (its steps list too), which redraws the flow
            onRecordSaved: () => record.load(),
        });
    }

    /** Save the journey's pending changes, which a reload would drop. */
    async saveJourney() {
        const record = this.props.record;
        return this.props.readonly || !(await record.isDirty()) || record.save();
    }

    addStep(parent) {
        const context = parent
            ? { default_parent_id: parent.id, default_trigger: "parent" }
            : { default_trigger: "start" };
        this.openStep(false, context);
    }

    onCardClick(step) {
        if (this.state.moving) {
            this.moveUnder(step);
        } else {
            this.openStep(step.id);
        }
    }

    startMove(step) {
        this.state.moving = step;
    }

    cancelMove() {
        this.state.moving = null;
    }

    /** Put the moving step after ``parent`` (false: at the journey start). */
    async moveUnder(parent) {
        const step = this.state.moving;
        this.state.moving = null;
        if (!(await this.saveJourney())) {
            return;
        }
        const values = parent
            ? { parent_id: parent.id, ...(step.parent_id ? {} : { trigger: "parent" }) }
            : { parent_id: false, trigger: "start" };
        try {
            await this.orm.write(STEP_MODEL, [step.id], values);
        } catch (error) {
            if (!(error instanceof RPCError) || !error.data?.name?.startsWith("odoo.exceptions.")) {
                throw error;
            }
            this.notification.add(error.data.message, {
                title: _t("The step cannot move there"),
                type: "danger",
            });
            return;
        }
        await this.props.record.load();
    }
}

registry.category("view_widgets").add("mail_journey_flow", { component: JourneyFlow });
