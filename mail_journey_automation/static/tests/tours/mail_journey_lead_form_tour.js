import { registry } from "@web/core/registry";

// The lead form stays the CRM's: its stage bar keeps every stage, the
// journey stage is a plain field and the journey actions live in the
// Journeys tab, behind a "Journeys" smart button.
registry.category("web_tour.tours").add("mail_journey_lead_form", {
    steps: () => [
        {
            content: "The CRM stage bar shows at least four stages, none folded away",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button:not(.dropdown-toggle):eq(3)",
        },
        {
            content: "The header has no journey button",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name^=action_journey]))",
        },
        {
            content: "The journey stage is a field of the sheet, not a second statusbar",
            trigger:
                ".o_form_sheet .o_field_widget[name=journey_stage_id]:not(:has(.o_statusbar_status))",
        },
        {
            content: "There is only one statusbar: the CRM's",
            trigger: ".o_form_view:not(:has(.o_statusbar_status ~ .o_statusbar_status)):not(:has(.o_form_sheet .o_statusbar_status))",
        },
        {
            content: "The engagement level is a badge",
            trigger: ".o_form_sheet .o_field_widget[name=journey_engagement_level] .badge:contains('Hot')",
        },
        {
            content: "The Journeys smart button counts the running journey",
            trigger: ".o-form-buttonbox .oe_stat_button[name=action_view_journey_enrollments]:contains('Journeys'):contains('1')",
        },
        {
            content: "Open the Journeys tab",
            trigger: ".o_form_view .o_notebook a:contains('Journeys')",
            run: "click",
        },
        {
            content: "The journey actions are at the top of the tab",
            trigger: ".o_notebook [name=journey_actions] button[name=action_journey_take_over]",
        },
        {
            content: "and the timeline tells what the customer did",
            trigger: ".o_notebook .o_field_widget[name=journey_human_event_ids] td:contains('Replied')",
        },
    ],
});

registry.category("web_tour.tours").add("mail_journey_lead_kanban", {
    steps: () => [
        {
            content: "The card shows a Hot badge with the score in its tooltip",
            trigger:
                ".o_kanban_record:contains('Form lead') span[title*='30.0'] .o_field_widget[name=journey_engagement_level] .badge:contains('Hot')",
        },
    ],
});

registry.category("web_tour.tours").add("mail_journey_order_form", {
    steps: () => [
        {
            content: "The order's header has no journey button",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name^=action_journey]))",
        },
        {
            content: "The Journeys smart button is there",
            trigger: ".o-form-buttonbox .oe_stat_button[name=action_view_journey_enrollments]:contains('Journeys')",
        },
        {
            content: "Open the Journeys tab",
            trigger: ".o_form_view .o_notebook a:contains('Journeys')",
            run: "click",
        },
        {
            content: "Enroll in journey is at the top of the tab",
            trigger: ".o_notebook [name=journey_actions] button[name=action_journey_enroll]",
        },
    ],
});
