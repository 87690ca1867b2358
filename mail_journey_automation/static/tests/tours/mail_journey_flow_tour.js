import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const card = (name) => `.o_journey_flow_card:contains('${name}')`;
const node = (name) => `.o_journey_flow_node:has(${card(name)})`;

function fillStep(name, { wait } = {}) {
    return [
        {
            content: `Name the step ${name}`,
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        ...(wait
            ? [
                  {
                      content: `Wait ${wait} days`,
                      trigger: ".modal .o_field_widget[name=interval_number] input",
                      run: `edit ${wait}`,
                  },
              ]
            : []),
        {
            content: "Search the email template",
            trigger: ".modal .o_field_widget[name=mail_template_id] input",
            run: "edit Flow welcome",
        },
        {
            content: "Pick it",
            trigger: ".modal .o_field_widget[name=mail_template_id] .dropdown-item:contains('Flow welcome')",
            run: "click",
        },
        {
            content: "Save the step",
            trigger: ".modal .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: `The card of ${name} is drawn`,
            trigger: `body:not(:has(.modal)) ${card(name)}`,
        },
    ];
}

// The journey manager builds a three-step journey in the flow view.
registry.category("web_tour.tours").add("mail_journey_flow_tour", {
    steps: () => [
        {
            content: "The Journeys app has five top menus",
            trigger:
                ".o_menu_sections [data-menu-xmlid='mail_journey_automation.menu_mail_journey_config']",
            run() {
                const menus = [...document.querySelectorAll(".o_menu_sections [data-menu-xmlid]")];
                const names = menus.map((menu) => menu.textContent.trim()).join(", ");
                if (names !== "Journeys, Ready-made Journeys, Activity, Reporting, Configuration") {
                    throw new Error(`The Journeys app's top menus are: ${names}`);
                }
            },
        },
        {
            content: "Create a journey",
            trigger: ".o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Flow journey",
        },
        {
            content: "The flow is the first tab; it is drawn once the journey is saved",
            trigger: ".o_notebook .o_journey_flow_hint",
        },
        ...stepUtils.saveForm(),
        {
            content: "Add the first step",
            trigger: ".o_journey_flow_empty .o_journey_flow_add_first",
            run: "click",
        },
        ...fillStep("Flow welcome"),
        {
            content: "Add a step after the welcome",
            trigger: `${node("Flow welcome")} .o_journey_flow_add`,
            run: "click",
        },
        ...fillStep("Flow reminder", { wait: 2 }),
        {
            content: "The wait is written on the connector",
            trigger: ".o_journey_flow_wait:contains('2 days')",
        },
        {
            content: "Add another step after the welcome",
            trigger: `${node("Flow welcome")} .o_journey_flow_add`,
            run: "click",
        },
        ...fillStep("Flow offer"),
        {
            content: "The three cards are drawn",
            trigger: `.o_journey_flow_viewport:has(${card("Flow welcome")}):has(${card("Flow reminder")}):has(${card("Flow offer")})`,
        },
        {
            content: "Move the offer...",
            trigger: `${node("Flow offer")} .o_journey_flow_move`,
            run: "click",
        },
        {
            content: "...after the reminder",
            trigger: card("Flow reminder"),
            run: "click",
        },
        {
            content: "The reminder now has a next step",
            trigger: `${node("Flow reminder")} .o_journey_flow_collapse`,
        },
        {
            content: "Try to move the welcome...",
            trigger: `${node("Flow welcome")} .o_journey_flow_move`,
            run: "click",
        },
        {
            content: "...after the offer, which comes after it",
            trigger: card("Flow offer"),
            run: "click",
        },
        {
            content: "The cycle is refused in a notification",
            trigger: ".o_notification:contains('The step cannot move there'):contains('cycle')",
        },
        {
            content: "Fold the steps after the welcome",
            trigger: `${node("Flow welcome")} .o_journey_flow_collapse`,
            run: "click",
        },
        {
            content: "Two steps are folded away",
            trigger: `${node("Flow welcome")} .o_journey_flow_collapse:contains('+2')`,
        },
        {
            content: "and their cards are not drawn",
            trigger: `.o_journey_flow_viewport:not(:has(${card("Flow reminder")}))`,
        },
    ],
});
